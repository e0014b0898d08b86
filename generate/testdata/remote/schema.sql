create table orgs (id int primary key, name text not null);
insert into orgs values (1, 'acme'), (2, 'globex');
