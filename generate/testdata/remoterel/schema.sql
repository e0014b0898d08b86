create table orgs (id int primary key, name text not null, owner_id int, secret text);
insert into orgs values (1, 'acme', 1, 's1'), (2, 'globex', 2, 's2'), (3, 'initech', 1, 's3'), (4, 'umbrella', null, 's4'), (5, 'hooli', 9, 's5');
create table members (id int primary key, org_id int not null references orgs (id), user_id int);
insert into members values (1, 1, 1), (2, 1, 2), (3, 2, 3), (4, 3, 2);
